from labelhub.cli import main

main()
