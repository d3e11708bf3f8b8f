// Command cluetrain serves the Cluetrain feedback and roadmap portal.
//
//	cluetrain            serve (the default)
//	cluetrain migrate    apply database migrations and exit
//	cluetrain seed       fill the database with demo data
//	cluetrain users      list accounts, set roles, block and unblock
//	cluetrain help       list the commands
//
// Every command takes --help; the commands live in app/cli.
package main

import (
	"os"

	"github.com/cluetrain/cluetrain/app/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
