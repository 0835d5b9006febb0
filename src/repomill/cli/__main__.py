from repomill.cli import main

main()
