"""The entry point: page config, the gate, then the page asked for.

Every page runs from here, after the gate: a page can't skip it, and before it passes the
browser is sent nothing but the login form (not even the page names).
"""

from pathlib import Path

import streamlit as st

from relay_metrics.app import auth
from relay_metrics.app.page import PAGES

HERE = Path(__file__).parent

st.set_page_config(page_title="relay-metrics", page_icon="📈", layout="wide")
if auth.passed():
    pages = [
        st.Page(HERE / path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)
    ]
else:
    # Registering only the login page keeps every page unaddressable. The pages live in views/:
    # a pages/ folder here would make Streamlit run its first run as a v1 multipage app, around this router.
    pages = [st.Page(auth.login_page, title="relay-metrics", url_path="login")]
# Hidden: the shared sidebar draws its own links (page.start), above the filters.
st.navigation(pages, position="hidden").run()
