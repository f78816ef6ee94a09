"""Inkwell's database backend: django-tenants' PostgreSQL backend, made safe behind PgBouncer in
transaction pooling mode (see inkwell/db/base.py)."""
