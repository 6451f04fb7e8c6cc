"""Country kits: Chilean RUT and DTE, Venezuelan RIF, and the PDF writer."""
