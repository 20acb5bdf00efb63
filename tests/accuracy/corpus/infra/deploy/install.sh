pip install --index-url https://ci:ciXweW7DFhY5PrO45GTxam@pypi.northwind.dev/simple/ northwind-core
