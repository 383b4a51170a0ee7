"""Alembic environment: the models of careplan.storage, the URL from DATABASE_URL."""

from __future__ import annotations

from alembic import context

from careplan.storage import Base, database_url, in_schema_comparison, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or database_url()


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True, include_name=in_schema_comparison)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True, include_name=in_schema_comparison)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
