package models

// MigrateSet lets the external tests apply a set of migrations of their own.
var MigrateSet = migrateSet
