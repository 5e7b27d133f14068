"""Settings admins change at run time."""
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class Setting(Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
