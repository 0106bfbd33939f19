"""SIP protocol code: parsing, lexing and highlighting SIP messages (no Django)."""
