"""The admin panel at ``/admin``: server-rendered pages for staff on the same services as the admin
API (so every rule and the audit log apply), signed in with a cookie of its own."""
