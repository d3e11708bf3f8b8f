// Command cluetrain serves the Cluetrain feedback and roadmap portal.
//
//	cluetrain            serve (the default)
//	cluetrain migrate    apply database migrations and exit
//	cluetrain seed       fill the database with demo data
//	cluetrain help       list the commands
package main

import (
	"os"

	"github.com/cluetrain/cluetrain/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
