"""Entries of the trail about the trail itself: they have no machine, only a label."""

from __future__ import annotations

from workflows.machine import Event
from workflows.text import N_

#: Actions recorded against the audit trail (object type ``audit``).
ACTIONS = (Event("erase_trail_texts", N_("Trail texts erased")),)

#: Actions recorded against everything else that has no machine: accounts and their factors, API tokens,
#: webhook endpoints, exports and downloads, mail, erasure. Their code names are the ones the operations
#: write (tests/test_audit_labels.py reads the calls and fails on an action without a label here).
OTHER_ACTIONS = (
    Event("sign_in", N_("Signed in")),
    Event("sign_out", N_("Signed out")),
    Event("end_sessions", N_("Other sessions ended")),
    Event("change_password", N_("Password changed")),
    Event("enrol_totp", N_("Authenticator app enrolled")),
    Event("register_security_key", N_("Security key registered")),
    Event("new_recovery_codes", N_("New recovery codes made")),
    Event("directory_lookup", N_("Directory looked up")),
    Event("sync_user", N_("Account updated from the directory")),
    Event("create_user", N_("Account created")),
    Event("propose_account", N_("Account proposed")),
    Event("propose_role", N_("Role change proposed")),
    Event("change_role", N_("Role changed")),
    Event("create_api_token", N_("API token created")),
    Event("revoke_api_token", N_("API token revoked")),
    Event("subscribe", N_("Webhook endpoint subscribed")),
    Event("change", N_("Webhook endpoint changed")),
    Event("rotate_secret", N_("Webhook signing secret rotated")),
    Event("unsubscribe", N_("Webhook endpoint deleted")),
    Event("send_test", N_("Webhook test event sent")),
    Event("redeliver", N_("Webhook delivery sent again")),
    Event("disable", N_("Webhook endpoint disabled")),
    Event("claim", N_("File claimed")),
    Event("read_attachment", N_("Attached document read")),
    Event("export_certificate", N_("Certificate downloaded")),
    Event("export_certificates", N_("Certificates downloaded together")),
    Event("export_clearance_register", N_("Clearance register exported")),
    Event("download_report", N_("Report downloaded")),
    Event("export_fee_statement", N_("Fee statement downloaded")),
    Event("add_member", N_("Joiner added to the register")),
    Event("change_member", N_("Register entry changed")),
    Event("record_leaver", N_("Leaver recorded in the register")),
    Event("export_compliance", N_("Compliance list downloaded")),
    Event("upload_register_import", N_("Register file uploaded for import")),
    Event("confirm_register_import", N_("Register import confirmed")),
    Event("discard_register_import", N_("Register import discarded")),
    Event("export_register_import_report", N_("Register import report downloaded")),
    Event("mail_preferences", N_("Mail preferences changed")),
    Event("retry_mail", N_("Mail sent again")),
    Event("retry_mail_bulk", N_("Failed mails sent again")),
    Event("notify_recognition", N_("Recognition body notified")),
    Event("erase", N_("Erased at the end of retention")),
    Event("erase_on_request", N_("Erased at the person's request")),
)
