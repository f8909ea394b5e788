"""The domain vocabulary, defined once: age groups, services, registers and suppression marks.

The values are Danish data vocabulary (see the glossary in the package docs); every
other module imports them from here. This module imports nothing from the package,
so every layer may use it.
"""

from __future__ import annotations

#: 5-year age groups of Statistics Denmark's tables and the mortality methods: 0-4 ... 90-94, 95+ (open).
#: ``vidensdata.methods.mortality.AGE_GROUPS`` holds the same groups (methods import nothing of the
#: package but ``errors``); a test checks that the two agree.
ALDERSGRUPPER_5: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 95, 5)) + ("95+",)

#: Adult age groups of the service recipients (age at the end of the year; under 18 is not counted).
ALDERSGRUPPER_VOKSNE: tuple[str, ...] = ("18-29", "30-39", "40-49", "50-59", "60-69", "70+")

#: Services for adults under serviceloven: code -> Danish name.
YDELSER: dict[str, str] = {
    "§85": "§ 85 Socialpædagogisk støtte",
    "§107": "§ 107 Midlertidigt botilbud",
    "§108": "§ 108 Længerevarende botilbud",
    "§103": "§ 103 Beskyttet beskæftigelse",
    "§104": "§ 104 Aktivitets- og samværstilbud",
    "§99": "§ 99 Støtte- og kontaktperson",
}
#: The pseudo-service "at least one service" (a person counted once across services).
ALLE = "alle"
#: Every service code of the dataset ``ydelsesmodtagere``, ``alle`` last.
YDELSE_KODER: tuple[str, ...] = (*YDELSER, ALLE)
#: Service code -> Danish name, ``alle`` included.
YDELSE_NAVNE: dict[str, str] = {**YDELSER, ALLE: "Mindst én ydelse"}

#: The first year any dataset covers (the register extract's window may not start earlier).
FOERSTE_AAR = 1990

#: The three registers of the target-group estimate, in the order of the capture-history digits.
REGISTRE: tuple[str, ...] = ("serviceloven", "psykiatri", "misbrug")
#: Registers that come from the optional ``registerkontakter`` table of the register extract.
KONTAKT_REGISTRE: tuple[str, ...] = ("psykiatri", "misbrug")

#: Primary suppression: a count of 1-4 persons is shown as this mark.
PRIMAER = "<5"
#: Secondary suppression: a cell hidden so that a primary-suppressed cell cannot be recovered from totals.
SEKUNDAER = "x"

__all__ = [
    "ALDERSGRUPPER_5", "ALDERSGRUPPER_VOKSNE", "ALLE", "FOERSTE_AAR", "KONTAKT_REGISTRE", "PRIMAER", "REGISTRE",
    "SEKUNDAER", "YDELSER", "YDELSE_KODER", "YDELSE_NAVNE",
]

#: Published estimate of the target group's size in Denmark (lower, upper, source): the reference the target-group
#: theme shows beside its own estimate and the size the synthetic extract plants.
PUBLICERET_OMFANG: tuple[int, int, str] = (
    32_000, 40_000,
    "Social- og Boligstyrelsen: Borgere med psykiske vanskeligheder og komplekse støttebehov, afsnittet Omfang "
    "(social.dk)",
)
