"""Printing from the console: one dialog for every document, with its options, a preview of the
pages, the system print dialog and Save as PDF."""

from console.ui.printing.dialog import SHEET_OPTIONS, OptionsSpec, PrintDialog, PrintOptions

__all__ = ["SHEET_OPTIONS", "OptionsSpec", "PrintDialog", "PrintOptions"]
