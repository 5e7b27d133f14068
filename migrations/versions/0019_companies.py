"""Customers' companies: each company (by the id the company's own systems give it), its attributes
with where each value came from and when, the members who belong to it (one company a member at
most), and the admins' segments (saved filters over members and companies).

New tables only: nothing is rebuilt, so no batch mode and no foreign-key pragmas are needed.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

SOURCES = "('token', 'api', 'csv', 'staff')"


def upgrade() -> None:
    op.create_table(
        'companies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('name_source', sa.String(length=10), nullable=False),
        sa.Column('name_set_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"name_source IN {SOURCES}", name=op.f('ck_companies_name_source_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
        sa.UniqueConstraint('external_id', name=op.f('uq_companies_external_id')),
    )
    op.create_table(
        'company_attributes',
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('text_value', sa.String(length=1000), nullable=False),
        sa.Column('number_value', sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('set_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"source IN {SOURCES}", name=op.f('ck_company_attributes_source_valid')),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_company_attributes_company_id_companies'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('company_id', 'name', name=op.f('pk_company_attributes')),
    )
    op.create_table(
        'company_members',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('set_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"source IN {SOURCES}", name=op.f('ck_company_members_source_valid')),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_company_members_company_id_companies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_company_members_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_company_members')),
    )
    op.create_index(op.f('ix_company_members_company_id'), 'company_members', ['company_id'], unique=False)
    op.create_table(
        'segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('match', sa.String(length=3), nullable=False),
        sa.Column('rules', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("match IN ('all', 'any')", name=op.f('ck_segments_match_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
        sa.UniqueConstraint('name', name=op.f('uq_segments_name')),
    )


def downgrade() -> None:
    op.drop_table('segments')
    op.drop_index(op.f('ix_company_members_company_id'), table_name='company_members')
    op.drop_table('company_members')
    op.drop_table('company_attributes')
    op.drop_table('companies')
