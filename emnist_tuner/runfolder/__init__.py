"""The run-folder format: every file name of every run kind (``layout``), the single-writer lock and
status lifecycle (``lifecycle``), the typed configs (``configs``), read-only trial reading
(``trials``) and the checks that run before a search resumes (``repair``)."""
