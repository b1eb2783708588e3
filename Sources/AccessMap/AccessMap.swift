// Access-map text format, makemap-compatible builder, keys and search orders.
