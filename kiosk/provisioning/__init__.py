"""Zero-touch provisioning of a terminal image (issue 17).

At first boot a terminal reads ``huimin-provision.toml`` from a partition or
USB stick labelled HUIMIN-PROV (:mod:`.apply`), checks it against the kiosk's
own configuration model (:mod:`.model`), writes its configuration and starts
the kiosk, which enrols with the one-time code; the code is then forgotten
(:mod:`.forget`). Until then tty1 shows how to do it (:mod:`.screen`).
"""

from kiosk.provisioning.model import (
    PROVISIONING_FILE,
    ProvisioningError,
    ProvisioningFile,
    build_config,
)

__all__ = ["PROVISIONING_FILE", "ProvisioningError", "ProvisioningFile", "build_config"]
