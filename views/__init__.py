"""The app's pages, each a `render()` function that only lays out widgets and what `profiles` returns.

A package of page *functions* (`st.Page(profile.render, url_path="profile")`), as in Streamlit's
`hello` app, so app.py runs first on every link. Not named `pages/`: until the first
`st.navigation` call in a server process, Streamlit (1.67) still treats a `pages/` folder beside
app.py as its legacy multipage layout, whatever it holds. The first visitor after a restart who
opened `/profile` directly then ran `pages/profile.py` by itself (an empty page) and `/overview`
showed "Page not found" (both seen with a `pages/` package of functions; the browser tests open
every documented URL first on a new server).
"""
