"""Extension objects, bound to an app in create_app()."""
from flask import request
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_login import LoginManager, current_user
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


def rate_limit_key():
    """Limits count per API key on the API, per member when signed in, per address otherwise."""
    from .api.auth import api_rate_limit_key

    api_key = api_rate_limit_key()
    if api_key is not None:
        return api_key
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return address_key()


def address_key():
    """For forms that create or enter accounts: always per address, so that signing in as
    a fresh account never brings a fresh allowance."""
    return f"addr:{request.remote_addr}"


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=rate_limit_key, headers_enabled=True)
