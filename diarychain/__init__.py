"""The tamper-evident work diary: records, their canonical encoding, a signed hash chain
per device and contract, and its verification. Pure: shared by the tracker (which
signs), the billing backend (which verifies on ingest) and the offline bundle check.
"""
