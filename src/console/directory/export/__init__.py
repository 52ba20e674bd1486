"""Writing the directory out as HSDS 3.0: nested JSON (or NDJSON) services, or a CSV data package.

Both formats read the store through ``_read``, which turns result rows into plain dicts by HSDS
column name. The JSON export walks services in chunks and loads each chunk's related rows with
one query per link (``phone.service_id``, ``address.location_id``, ...), grouped in memory by
the linking column, so the number of queries grows with the number of chunks, never with the
number of services. The CSV export streams each table whole. Either export reads one snapshot
of the store, writes beside its target and swaps the result in at the end, so a cancelled or
failed export never leaves a half-written file behind.
"""

from console.directory.export.hsds_csv import export_csv
from console.directory.export.hsds_json import export_json
from console.directory.export.reading import REQUIRED
from console.directory.export.validation import validate_json_export, validate_path

__all__ = ["REQUIRED", "export_csv", "export_json", "validate_json_export", "validate_path"]
