"""The thin Streamlit layer: cached loading, the shared sidebar and page helpers.

Only this package and views/ import Streamlit; everything they show is computed by the
plain functions in relay_metrics/.
"""
