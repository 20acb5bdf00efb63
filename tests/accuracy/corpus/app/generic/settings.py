DB_PASSWORD = "fswjV98xzXE0MhhHTuXlaxcx"
