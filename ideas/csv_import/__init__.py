"""CSV import of ideas and votes: our own export, Fider's posts export, Canny's posts and votes;
and of customers' companies (our companies file).

Nothing here knows about HTTP. `plan_import` is the dry run: it reads the file, names every bad
row and counts what would be created, and writes nothing. `run_import` walks the same code with
writing switched on, so what the dry run promised is what the import does.

Every created idea is recorded in `imported_records` under (source, "idea", external id), and a
member has one vote per idea, so importing a file again adds nothing: the import is idempotent. Members
named by email are created without a password and unconfirmed (so nothing is ever mailed to
them); they can claim the account with "forgot password". Work is set-based, a batch of rows
at a time, so large files cost a few queries per thousand rows.

Modules along the seams: `formats` (which file this is, its text), `rows` (each row checked and in
our terms), `writer` (the walk that counts and creates), `plan` (what it counted), `companies`
(the companies file's rows and what they change) and `uploads` (files waiting for their
confirmation). The names the pages use are re-exported here.
"""
from .formats import FORMATS, BadFile, Format
from .rows import CANNY_STATUSES, FIDER_STATUSES
from .uploads import discard_upload, load_upload, store_upload
from .plan import ImportPlan
from .writer import plan_import, run_import

__all__ = [
    "CANNY_STATUSES", "FIDER_STATUSES", "FORMATS", "BadFile", "Format", "ImportPlan", "discard_upload",
    "load_upload", "plan_import", "run_import", "store_upload",
]
