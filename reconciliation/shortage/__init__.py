"""Shortage-claim evidence from our own cartons (issue 10 item 4).

``evidence`` reads, in a fixed number of queries for any number of claims, what our ASN said was
shipped (containers, SSCCs, weights, carrier, BOL) and what Amazon reports as received, and turns
it into a verdict; ``services`` stores the verdicts and keeps the ``disputable_shortage`` cases in
step; ``pack`` writes the XLSX evidence pack; ``views`` are the list, the claim page and the
workbench's evidence panel.
"""
