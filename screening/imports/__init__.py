"""The register import: a CSV or XLSX file read (tabular), its rows checked with the form's rules (validation)."""
