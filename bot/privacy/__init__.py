"""Customers' data over its life: the audit log of staff access, export and erasure, retention."""
