# Sphinx configuration of the Stratos Island interface standard (docs/spec).
# Built by ./test.sh:  sphinx-build -W --keep-going -b html docs/spec out/spec/html
# The proto reference (_ext/protoref.py) and the traceability matrix (_ext/requirements.py) are
# generated at build time; nothing under _generated/ is committed.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

project = "Stratos Island interface standard"
author = "Stratos Island project"
copyright = "Stratos Island project"
extensions = ["protoref", "requirements"]
exclude_patterns = ["_build", "README.md"]
html_theme = "alabaster"
html_theme_options = {"page_width": "1320px", "sidebar_width": "250px", "body_max_width": "none", "fixed_sidebar": False}
highlight_language = "none"
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_static_path = ["_static"]
html_css_files = ["spec.css"]
html_show_sourcelink = False
html_copy_source = False
numfig = True
smartquotes = False

# Relative to this directory.
protoref_module = "../../protocol"
protoref_buf = "../../node_modules/.bin/buf"
# The trace tool's output (tools/src/Stratos.Island.Trace); STRATOS_TRACE_JSON overrides it.
requirements_trace_json = os.environ.get("STRATOS_TRACE_JSON", "../../out/spec/trace.json")
