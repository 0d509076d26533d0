"""Posting (issue 11): reconciled remittances become NetSuite records in approved batches.

- ``builder``: the records of a batch (pure: plain values in, record bodies out) and its tie-out;
- ``services``: build / rebuild / submit / approve / reject, each audited, maker-checker enforced;
- ``periods``: accounting periods (synced from NetSuite or configured) and their locks;
- ``delivery``: the outbox side (dispatch on approval, entry outcomes, retry, reversal);
- ``views``: the postings list, batch preview and approval, periods page.

Models live in ``reconciliation.posting_models``.
"""
