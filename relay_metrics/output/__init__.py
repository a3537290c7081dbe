"""What figures become: Altair charts, spreadsheet-safe CSV and text tables."""
