"""Extension objects, bound to an app in create_app()."""
from typing import TYPE_CHECKING

from flask import current_app
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


RATE_LIMIT_KEY = "ideas.rate_limit_key"


def rate_limit_key() -> str:
    """Whom this request counts against, as the app decides: create_app puts its rule in
    `app.extensions[RATE_LIMIT_KEY]`, so this module needs nothing of the app's own modules."""
    return current_app.extensions[RATE_LIMIT_KEY]()


db = SQLAlchemy(model_class=Base)

# The models' base class: Flask-SQLAlchemy's `db.Model` at run time (table names, the app's
# session), which is `Base` underneath, and `Base` for the type checker, which cannot follow a
# class made at run time.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=rate_limit_key, headers_enabled=True)
