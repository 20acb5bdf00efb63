package config

var (
	mailersendApiKey = "mlsn.ff3b01642d69f51105612e11697bc834863b867bdee19e5425e9139b2997ca6a"
)
