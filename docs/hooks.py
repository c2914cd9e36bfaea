"""MkDocs hooks: the pages generated from the code at every build, so that none can drift.

* ``tutorial.md``: the tutorial's 2-2-2 network traced by the engine and written
  by chainrule's own Markdown renderer (:func:`chainrule.explain.render`), with
  its diagram from :func:`chainrule.visual.trace_svg`: every number on the page
  is the engine's, computed while the site builds.
* ``reference/*.md``: one page per public package, each documenting the names
  of its ``__all__`` (mkdocstrings reads them statically, with griffe).
* ``benchmarks.md``: every results file in ``bench/results/``, as it stands.
* ``changelog.md``: ``CHANGELOG.md``.

The generated pages exist only in the build (``mkdocs build`` or ``serve``);
nothing is written into ``docs/``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]

#: Reference pages: (page, module, what it holds), in the order of the dependency direction.
REFERENCE = [
    ("chainrule", "chainrule", "The names ``import chainrule`` gives (the engine's, and the most used of the others)."),
    ("core", "chainrule.core", "The engine: activations, losses, layers, the network, its spec, metrics, gradcheck."),
    ("optim", "chainrule.optim", "Optimizers (``torch.optim`` semantics) and learning-rate schedules."),
    (
        "training",
        "chainrule.training",
        "The training loop behind ``Network.fit``, its strategy, callbacks and history.",
    ),
    ("datasets", "chainrule.datasets", "scikit-learn's small datasets and seeded synthetic ones."),
    ("explain", "chainrule.explain", "The tutorial's names, the trace of one step and its renderers."),
    ("tabular", "chainrule.tabular", "CSV, Parquet and pandas tables and their preprocessing."),
    ("io", "chainrule.io", "Model files and checkpoints."),
    ("export", "chainrule.export", "ONNX export."),
    ("plots", "chainrule.plots", "PNG plots with matplotlib."),
    ("sklearn", "chainrule.sklearn", "scikit-learn estimators."),
    ("distributed", "chainrule.distributed", "Data-parallel training over MPI."),
    ("visual", "chainrule.visual", "SVG diagrams, the HTML report, the explorer."),
    ("notebook", "chainrule.notebook", "Rich displays and the explorer widget for Jupyter."),
    ("exercise", "chainrule.exercise", "Exercise sheets and their answer keys."),
    ("i18n", "chainrule.i18n", "The message catalogues and the translator."),
]


def _tutorial_page() -> str:
    sys.path.insert(0, str(ROOT / "src"))  # the checkout's chainrule, installed or not
    from chainrule.explain import build_trace, render, tutorial_network
    from chainrule.visual import trace_svg

    trace = build_trace(tutorial_network(), [0.05, 0.10], [0.01, 0.99], learning_rate=0.5)
    body = render(trace, "markdown")
    _, _, rest = body.partition("\n")
    svg = trace_svg(trace, overlay="backward", focus="h1")
    return "\n".join(
        [
            "# The tutorial, step by step",  # the renderer's own title ("Backpropagation step by step") dropped
            "",
            "This page is generated while the site builds: the engine traces one training step of the",
            "tutorial's 2-2-2 sigmoid network (inputs 0.05 and 0.10, targets 0.01 and 0.99, learning",
            "rate 0.5) and chainrule's Markdown renderer writes it, so every number is the engine's.",
            "The same page comes from `chainrule explain --format markdown`; the diagram (the backward",
            "pass, with the paths into h1 highlighted) from `chainrule.visual.trace_svg`.",
            "",
            '<div class="chainrule-diagram" markdown="0">',
            svg,
            "</div>",
            rest,
        ]
    )


def _reference_page(module: str, summary: str) -> str:
    if module != "chainrule":
        return f"# `{module}`\n\n{summary}\n\n::: {module}\n"
    # The top-level names are documented where they are defined: here, a table pointing there.
    import ast

    tree = ast.parse((ROOT / "src" / "chainrule" / "__init__.py").read_text(encoding="utf-8"))
    origin: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            package = node.module.split(".")[0]
            for alias in node.names:
                origin.setdefault(alias.name, package)
    import chainrule

    pages = {page for page, _, _ in REFERENCE}
    rows = ["| name | documented in |", "|---|---|"]
    for name in sorted(chainrule.__all__, key=str.lower):
        package = origin.get(name)
        if package not in pages:
            continue
        # Constants (registries such as ACTIVATIONS) have no entry of their own in the reference.
        shown = f"`{name}`" if name.isupper() else f"[`{name}`]({package}.md#chainrule.{package}.{name})"
        rows.append(f"| {shown} | [`chainrule.{package}`]({package}.md) |")
    return "\n".join(
        [f"# `{module}`", "", summary, "", "::: chainrule", "    options:", "      members: false", "", *rows, ""]
    )


def _benchmarks_page() -> str:
    results = sorted(path for path in (ROOT / "bench" / "results").glob("*.md") if path.name != "README.md")
    parts = [
        "# Benchmarks",
        "",
        "Every table here is a results file of `bench/results/`, shown as it stands; each names the",
        "command in `bench/` that produced it, on which machine, so a reader can run it again.",
        "Timings come from shared, noisy machines: each contender runs in its own process, interleaved,",
        "and the tables give medians.",
        "",
    ]
    if not results:
        parts.append("No results files yet.")
    for path in results:
        text = path.read_text(encoding="utf-8").strip()
        # Each file's headings move one level down, under this page's title.
        parts += [line if not line.startswith("#") else "#" + line for line in text.splitlines()]
        parts.append("")
    return "\n".join(parts) + "\n"


#: Sphinx roles in docstrings (``:class:`Network` ``), which Markdown shows as text: dropped, the code kept.
_ROLE = re.compile(r":(?:class|meth|func|mod|attr|data|exc|obj|const):(?=<code>)")
#: ``~chainrule.export.to_onnx`` (Sphinx's "show the last part"): the last part.
_TILDE = re.compile(r"<code>~(?:[\w]+\.)+(\w+)</code>")


def on_page_content(html, page, config, files):
    return _TILDE.sub(r"<code>\1</code>", _ROLE.sub("", html))


#: Where a page shows the README's table of the extras (there is one table, in the README).
EXTRAS_MARK = "<!-- the extras table: README.md -->"


def extras_table() -> str:
    """The table between ``<!-- extras -->`` and ``<!-- /extras -->`` in the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("<!-- extras -->\n", 1)[1].split("<!-- /extras -->", 1)[0].strip()


def on_page_markdown(markdown, page, config, files):
    return markdown.replace(EXTRAS_MARK, extras_table()) if EXTRAS_MARK in markdown else markdown


def on_files(files, config):
    pages = {
        "tutorial.md": _tutorial_page(),
        "benchmarks.md": _benchmarks_page(),
        "changelog.md": (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
    }
    for page, module, summary in REFERENCE:
        pages[f"reference/{page}.md"] = _reference_page(module, summary)
    for path, content in pages.items():
        files.append(File.generated(config, path, content=content))
    return files
