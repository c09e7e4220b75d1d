"""系统管理: the pages, JSON API and service functions of the three administrators (三员).

* ``service`` — validation and changes, each audited; shared by the pages, the API, the CLI and the importer.
* ``queries`` — the filtered audit-log and login-record queries and their CSV export.
* ``pages`` / ``api`` — the views; ``routes`` lists them with their permissions and menu entries.
* ``importer`` — bulk import of units and users from CSV or XLSX.
"""
