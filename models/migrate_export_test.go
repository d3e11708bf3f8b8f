package models

// MigrateSet lets the external tests apply a set of migrations of their own.
var MigrateSet = migrateSet

// RarePlanIdeas lets the external tests move the line between a rare plan
// and a common one.
var RarePlanIdeas = &rarePlanIdeas
