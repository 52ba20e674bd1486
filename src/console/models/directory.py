"""The referral directory: Open Referral HSDS 3.0 core tables, plus the derived search index.

Table and column names follow HSDS 3.0 so that a record round-trips through import and export.
Hotline-specific facts (service category, populations served, 24-hour availability, the
confidential flag on an address) ride on HSDS ``attribute`` rows pointing at taxonomy terms of
the hotline's own taxonomies (see ``console.directory.vocabulary``).

Foreign keys are declared as plain indexed columns, not enforced constraints: real exports point
at missing records, and the importer reports and skips those itself before they reach the tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = String(64)


class DirectoryBase(DeclarativeBase):
    metadata = MetaData()


class Organization(DirectoryBase):
    __tablename__ = "organization"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    tax_status: Mapped[str | None] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(Text)
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    legal_status: Mapped[str | None] = mapped_column(Text)
    logo: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    parent_organization_id: Mapped[str | None] = mapped_column(Id)


class Service(DirectoryBase):
    __tablename__ = "service"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[str] = mapped_column(Id, index=True)
    program_id: Mapped[str | None] = mapped_column(Id)
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    wait_time: Mapped[str | None] = mapped_column(Text)
    fees: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[float | None] = mapped_column(Float)
    maximum_age: Mapped[float | None] = mapped_column(Float)
    assured_date: Mapped[str | None] = mapped_column(Text)
    assurer_email: Mapped[str | None] = mapped_column(Text)
    licenses: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)


class Location(DirectoryBase):
    __tablename__ = "location"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    location_type: Mapped[str] = mapped_column(Text, default="physical")
    url: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[str | None] = mapped_column(Id, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(Text)
    external_identifier_type: Mapped[str | None] = mapped_column(Text)


class ServiceAtLocation(DirectoryBase):
    __tablename__ = "service_at_location"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    service_id: Mapped[str] = mapped_column(Id, index=True)
    location_id: Mapped[str] = mapped_column(Id, index=True)
    description: Mapped[str | None] = mapped_column(Text)


class Address(DirectoryBase):
    __tablename__ = "address"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    location_id: Mapped[str] = mapped_column(Id, index=True)
    attention: Mapped[str | None] = mapped_column(Text)
    address_1: Mapped[str] = mapped_column(Text)
    address_2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    state_province: Mapped[str] = mapped_column(Text)
    postal_code: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text, default="US")
    address_type: Mapped[str] = mapped_column(Text, default="physical")


class Phone(DirectoryBase):
    __tablename__ = "phone"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    location_id: Mapped[str | None] = mapped_column(Id, index=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    organization_id: Mapped[str | None] = mapped_column(Id, index=True)
    contact_id: Mapped[str | None] = mapped_column(Id)
    service_at_location_id: Mapped[str | None] = mapped_column(Id)
    number: Mapped[str] = mapped_column(Text)
    extension: Mapped[float | None] = mapped_column(Float)
    type: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class Schedule(DirectoryBase):
    __tablename__ = "schedule"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    location_id: Mapped[str | None] = mapped_column(Id, index=True)
    service_at_location_id: Mapped[str | None] = mapped_column(Id)
    valid_from: Mapped[str | None] = mapped_column(Text)
    valid_to: Mapped[str | None] = mapped_column(Text)
    dtstart: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[float | None] = mapped_column(Float)
    until: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int | None] = mapped_column(Integer)
    wkst: Mapped[str | None] = mapped_column(Text)
    freq: Mapped[str | None] = mapped_column(Text)
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(Text)
    byweekno: Mapped[str | None] = mapped_column(Text)
    bymonthday: Mapped[str | None] = mapped_column(Text)
    byyearday: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[str | None] = mapped_column(Text)
    closes_at: Mapped[str | None] = mapped_column(Text)
    schedule_link: Mapped[str | None] = mapped_column(Text)
    attending_type: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class Language(DirectoryBase):
    __tablename__ = "language"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    location_id: Mapped[str | None] = mapped_column(Id, index=True)
    phone_id: Mapped[str | None] = mapped_column(Id)
    name: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class Taxonomy(DirectoryBase):
    __tablename__ = "taxonomy"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)


class TaxonomyTerm(DirectoryBase):
    __tablename__ = "taxonomy_term"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    code: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(Id)
    taxonomy: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    taxonomy_id: Mapped[str | None] = mapped_column(Id)
    term_uri: Mapped[str | None] = mapped_column(Text)


class Attribute(DirectoryBase):
    __tablename__ = "attribute"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    link_id: Mapped[str] = mapped_column(Id, index=True)
    taxonomy_term_id: Mapped[str] = mapped_column(Id)
    link_type: Mapped[str | None] = mapped_column(Text)
    link_entity: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)


class Contact(DirectoryBase):
    __tablename__ = "contact"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(Id, index=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    service_at_location_id: Mapped[str | None] = mapped_column(Id)
    location_id: Mapped[str | None] = mapped_column(Id)
    name: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)


class ServiceArea(DirectoryBase):
    __tablename__ = "service_area"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)


class Program(DirectoryBase):
    __tablename__ = "program"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class OrganizationIdentifier(DirectoryBase):
    __tablename__ = "organization_identifier"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(Id, index=True)
    identifier_scheme: Mapped[str | None] = mapped_column(Text)
    identifier_type: Mapped[str] = mapped_column(Text)
    identifier: Mapped[str] = mapped_column(Text)


class Funding(DirectoryBase):
    __tablename__ = "funding"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(Id, index=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    source: Mapped[str | None] = mapped_column(Text)


class CostOption(DirectoryBase):
    __tablename__ = "cost_option"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    valid_from: Mapped[str | None] = mapped_column(Text)
    valid_to: Mapped[str | None] = mapped_column(Text)
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[float | None] = mapped_column(Float)
    amount_description: Mapped[str | None] = mapped_column(Text)


class RequiredDocument(DirectoryBase):
    __tablename__ = "required_document"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(Id, index=True)
    document: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)


class Accessibility(DirectoryBase):
    __tablename__ = "accessibility"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    location_id: Mapped[str | None] = mapped_column(Id, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)


class Metadata(DirectoryBase):
    """HSDS change history of a record; ``resource_id`` is polymorphic, like an attribute's."""

    __tablename__ = "metadata"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    resource_id: Mapped[str | None] = mapped_column(Id, index=True)
    resource_type: Mapped[str | None] = mapped_column(Text)
    last_action_date: Mapped[str] = mapped_column(Text)
    last_action_type: Mapped[str] = mapped_column(Text)
    field_name: Mapped[str] = mapped_column(Text)
    previous_value: Mapped[str] = mapped_column(Text)
    replacement_value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)


# HSDS tables in dependency order: a table's references point only to tables before it.
HSDS_TABLES: tuple[type[DirectoryBase], ...] = (
    Taxonomy,
    TaxonomyTerm,
    Organization,
    Program,
    OrganizationIdentifier,
    Service,
    Funding,
    CostOption,
    RequiredDocument,
    Location,
    Accessibility,
    ServiceAtLocation,
    Address,
    Contact,
    Phone,
    Schedule,
    Language,
    ServiceArea,
    Attribute,
    Metadata,
)


class SearchService(DirectoryBase):
    """One row per service: everything a result shows, denormalized so search does no joins.

    Derived from the HSDS tables by ``console.directory.index``; never edited directly.
    The text columns are the external content of the ``search_fts`` FTS5 index.
    """

    __tablename__ = "search_service"
    rowid: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(Id, unique=True)
    service_name: Mapped[str] = mapped_column(Text)
    organization_name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(Text, default="")
    facets: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    city: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(Text)
    languages: Mapped[str] = mapped_column(Text, default="")
    category_codes: Mapped[str] = mapped_column(Text, default="")
    open_24h: Mapped[bool] = mapped_column(Boolean, default=False)
    minimum_age: Mapped[float | None] = mapped_column(Float)
    maximum_age: Mapped[float | None] = mapped_column(Float)
    last_verified: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_search_service_organization_name", "organization_name"),)


class SearchHours(DirectoryBase):
    """Weekly opening intervals in the service's own time zone (minutes from local midnight).

    ``day`` is 0 for Monday. An interval that runs past midnight is stored as two rows.
    ``rule`` holds the HSDS schedule for the rare non-weekly pattern (e.g. "first Monday"),
    which search evaluates with dateutil instead of this table.
    """

    __tablename__ = "search_hours"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_rowid: Mapped[int] = mapped_column(Integer, index=True)
    timezone: Mapped[str] = mapped_column(Text)
    day: Mapped[int | None] = mapped_column(Integer)
    opens: Mapped[int | None] = mapped_column(Integer)
    closes: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[str | None] = mapped_column(Text)
    valid_to: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_search_hours_open", "timezone", "day", "opens"),)


class RecordSource(DirectoryBase):
    """Which import source each HSDS record came from, so ``--replace`` replaces one source only.

    Records the central server sends are not listed: they belong to the server's feed.
    """

    __tablename__ = "directory_record_source"
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(Text, index=True)


class DirectoryMeta(DirectoryBase):
    """Small facts about this copy of the directory (index generation, last import, cursor)."""

    __tablename__ = "directory_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# Virtual tables that SQLAlchemy cannot describe; created by the migration.
FTS_COLUMNS = ("service_name", "organization_name", "description", "categories", "keywords",
               "facets")
FTS_DDL = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    + ", ".join(FTS_COLUMNS)
    + ", content='search_service', content_rowid='rowid',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
)
VOCAB_DDL = "CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row')"
# Ranking weights per FTS column: a word in a service's name counts most; facets not at all.
RANK_DDL = ("INSERT INTO search_fts (search_fts, rank) "
            "VALUES ('rank', 'bm25(10.0, 6.0, 1.0, 5.0, 2.0, 0.0)')")
