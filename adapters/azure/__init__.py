"""The Azure adapter: Resource Manager, data planes (Storage, Key Vault, Cosmos DB, Service Bus) and Entra ID."""
