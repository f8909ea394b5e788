"""Sphinx configuration of the documentation site (``make docs`` builds it into ``site/``).

The source directory is the repository root, so the README, ``docs/*.md`` and the method notebooks
(``notebooks/metoder/*.ipynb``) are read where they live and their relative links work on the site as
they do on GitHub and in JupyterLab. Only the files in ``include_patterns`` are read. The method
notebooks are executed at build time (myst-nb), so the site shows what the package computes now.
The site is Danish and offline: no file is loaded from the network.
"""

from pathlib import Path

import vidensdata

project = "vidensdata"
author = "vidensdata"
copyright = "vidensdata (MIT)"
version = release = vidensdata.__version__
language = "da"
# Danish texts for the theme's own words (Næste, Forrige, Til toppen, …); Sphinx compiles the .po at build time
locale_dirs = ["docs/locale"]

root_doc = "docs/index"
extensions = ["myst_nb"]
include_patterns = ["README.md", "docs/*.md", "notebooks/metoder/*.ipynb"]
exclude_patterns = [".venv", "**/node_modules", "site", "build", "data", "reports", "src", "tests",
                    "benchmarks", "deploy", "parameters", "requirements", "scripts", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

# Markdown (MyST): heading anchors so links such as docs/metoder.md#diskretionering-design resolve
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# Notebooks: executed on every build, an error in a cell fails the build
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# a warning printed by a cell (stderr) fails the build: it is noise for a reader and names paths of this machine
nb_output_stderr = "remove-warn"

# HTML: the furo theme bundles its assets (no CDN); no math renderer, so no MathJax from the network
html_theme = "furo"
html_title = "vidensdata – dokumentation"
html_static_path = ["_static"]
html_css_files = ["vidensdata.css"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_show_sphinx = False
html_show_copyright = False  # the theme writes the word "Copyright" untranslated
# the site's index.html sends the browser to the landing page (docs/index.html)
html_additional_pages = {"index": "omdirigering.html"}

# The published tables of vidensdata.publish carry a machine-readable copy under their own MIME type
# (application/vnd.vidensdata.tabel+json) beside the HTML the site shows; that copy is for the audit, not
# for display, so myst-nb's "unknown mime type" warning about it is expected.
suppress_warnings = ["mystnb.unknown_mime_type"]


def _outputs_beside_doctrees(app):
    """myst-nb writes the executed notebooks' files (images) to <outdir>/../jupyter_execute, which for
    ``site/`` would be the repository root; put them beside the doctrees (``build/``, ignored by git)."""
    folder = Path(app.doctreedir).parent / "jupyter_execute"
    app.env.mystnb_config = app.env.mystnb_config.copy(output_folder=str(folder.resolve()))


def setup(app):
    app.connect("builder-inited", _outputs_beside_doctrees, priority=900)  # after myst-nb's own (500)
