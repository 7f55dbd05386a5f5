"""The sites of a federated-training coordinator project (migration 0010).

A coordinator project lists the labelhub servers ("sites") whose labels train its federated text classifier: each
site's project URL and a manager's bearer token there. The token is stored as a webhook's secret is (in the
clear: the coordinator must send it with every round) and is shown once, when the site is added; afterwards only
its last four characters (see :mod:`labelhub.services.federated_sites`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.storage.models import Base, utcnow


class FederatedSite(Base):
    """One site of a coordinator project: a name, its project URL (``https://host/api/v1/projects/3``) and the
    manager's token the coordinator sends there."""

    __tablename__ = "federated_sites"
    __table_args__ = (UniqueConstraint("project_id", "url", name="uq_federated_sites_project_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(String(512))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
