"""`python -m compose_ecs_deploy` runs the same CLI as the console script."""

import sys

from compose_ecs_deploy.faces.cli import main

sys.exit(main())
