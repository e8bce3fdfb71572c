"""The container action's entrypoint: thin on purpose, the package does the work."""

import sys

from compose_ecs_deploy.faces.action import main

if __name__ == "__main__":
    sys.exit(main())
