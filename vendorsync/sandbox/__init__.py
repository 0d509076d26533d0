"""Simulators of Amazon Vendor Central (SP-API + LWA) and NetSuite (REST + SuiteQL) for the demo and tests."""
