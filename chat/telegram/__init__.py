"""The deployment's Telegram bot: owners link a chat, then ask for status, reports, leads and
approvals, and get notified of new leads, signed contracts and chat hand-overs."""
