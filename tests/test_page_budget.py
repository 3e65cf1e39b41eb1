"""bench/page_budget.py files each sample of a page where it belongs (the budget in docs/benchmarks-pages.md)."""

from bench.page_budget import DISPATCH, OURS, OUTSIDE, phase_of, work_of

LIB = "/venv/lib/python3.11/site-packages"
VIEW = [
    ("/app/screening/applications/views.py", "index"),
    (f"{LIB}/flask/app.py", "dispatch_request"),
    (f"{LIB}/flask/app.py", "full_dispatch_request"),
    (f"{LIB}/werkzeug/test.py", "run_wsgi_app"),
]
RENDER = [
    ("/app/templates/applications/index.html", "root"),
    (f"{LIB}/flask/templating.py", "render_template"),
    *VIEW,
]


def test_a_query_of_the_view_is_sql_in_the_view():
    stack = [(f"{LIB}/sqlalchemy/engine/default.py", "do_execute"), ("/app/screening/applications/queries.py", "_run")]
    assert phase_of(stack + VIEW) == "view: queries and shaping"
    assert work_of(stack + VIEW) == "SQL (SQLAlchemy and the driver)"


def test_escaping_a_row_is_in_the_rows_and_a_translation_in_the_page_around_them():
    rows = [(f"{LIB}/markupsafe/__init__.py", "escape"), ("/app/screening/applications/rows.py", "application_rows")]
    assert (phase_of(rows + RENDER), work_of(rows + RENDER)) == ("rows", "escaping (markupsafe)")
    word = [
        (f"{LIB}/babel/support.py", "ugettext"),
        ("/app/screening/web.py", "<lambda>"),
        (f"{LIB}/jinja2/ext.py", "gettext"),
    ]
    assert phase_of(word + RENDER) == "template around the rows (layout, forms, headers, pagination)"
    assert work_of(word + RENDER) == "translations"


def test_our_own_frame_stops_the_search_for_a_library():
    stack = [("/app/screening/applications/rows.py", "application_rows"), *RENDER]
    assert work_of(stack) == OURS  # not "Jinja runtime", though a template is further out


def test_what_is_outside_flask_and_what_is_flask():
    assert phase_of(VIEW[-1:]) == OUTSIDE
    assert work_of(VIEW[-1:]) == "Werkzeug"
    assert phase_of([(f"{LIB}/werkzeug/routing/map.py", "match"), *VIEW[2:]]) == DISPATCH
    user = [(f"{LIB}/sqlalchemy/engine/base.py", "execute"), ("/app/screening/auth/users.py", "load_user"), *VIEW[2:]]
    assert phase_of(user) == "session cookie and user"
