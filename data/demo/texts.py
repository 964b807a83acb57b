"""Names and free-text snippets for the demo scenario: plausible Chilean people, plain English notes.

People and streets are local (the default service area is Coquimbo–La Serena); the free text a crew
or agent would type is in English, the source language of the product's strings. Everything here is
a constant tuple, so the scenario depends only on the random generator that picks from it.
"""

from __future__ import annotations

from ops.vocabulary import Symptom

FIRST_NAMES_F = (
    "María", "Catalina", "Javiera", "Constanza", "Camila", "Valentina", "Francisca", "Daniela",
    "Fernanda", "Carolina", "Paulina", "Andrea", "Claudia", "Patricia", "Verónica", "Marcela",
    "Rosa", "Gloria", "Ximena", "Isidora", "Antonia", "Sofía", "Josefa", "Trinidad", "Macarena",
    "Bárbara", "Loreto", "Pía", "Carmen", "Elena", "Luisa", "Teresa",
)
FIRST_NAMES_M = (
    "José", "Juan", "Luis", "Carlos", "Jorge", "Manuel", "Francisco", "Cristián", "Pedro",
    "Sebastián", "Matías", "Diego", "Nicolás", "Felipe", "Rodrigo", "Gonzalo", "Patricio",
    "Mauricio", "Claudio", "Alejandro", "Ignacio", "Tomás", "Benjamín", "Vicente", "Joaquín",
    "Andrés", "Ricardo", "Hernán", "Sergio", "Raúl", "Víctor", "Fernando",
)
SURNAMES = (
    "González", "Muñoz", "Rojas", "Díaz", "Pérez", "Soto", "Contreras", "Silva", "Martínez",
    "Sepúlveda", "Morales", "Rodríguez", "López", "Araya", "Fuentes", "Hernández", "Torres",
    "Espinoza", "Flores", "Castillo", "Valenzuela", "Ramírez", "Reyes", "Gutiérrez", "Castro",
    "Vargas", "Álvarez", "Vásquez", "Tapia", "Fernández", "Sánchez", "Carrasco", "Gómez",
    "Cortés", "Herrera", "Núñez", "Jara", "Vergara", "Rivera", "Figueroa", "Riquelme", "García",
    "Miranda", "Bravo", "Vera", "Molina", "Vega", "Campos", "Sandoval", "Orellana", "Cárdenas",
    "Olivares", "Alarcón", "Gallardo", "Ortiz", "Garrido", "Salazar", "Guzmán", "Henríquez",
    "Saavedra", "Navarro", "Aguilera", "Parra", "Romero", "Aravena", "Pizarro", "Godoy", "Peña",
    "Cáceres", "Leiva", "Escobar", "Yáñez", "Valdés", "Vidal", "Salinas", "Zúñiga", "Peralta",
    "Cisternas", "Alfaro", "Lagos",
)

NO_STREET = "Calle sin nombre"

EMERGENCY_CONTACT_NOTES = (
    "daughter; elderly customer living alone, call her if nobody answers",
    "son; customer lives alone and is hard of hearing",
    "neighbour with a spare key; customer over 80, lives alone",
    "niece; customer lives alone, uses a wheelchair",
    "daughter; customer lives alone, call before 21:00",
)

SPECIAL_REQUESTS = (
    "Please call before arriving.",
    "Dog on the premises; ring the bell and wait.",
    "Access through the back gate.",
    "Customer is elderly; please speak slowly and show ID.",
    "Only available until 13:00.",
    "Apartment building: ask the concierge for the key to the meter room.",
)

DESCRIPTIONS: dict[Symptom, tuple[str, ...]] = {
    Symptom.GAS_LEAK: ("Strong smell of gas in the kitchen.", "Hissing sound and smell of gas near the meter.",
                       "Smell of gas in the stairwell of the building.", "Gas smell outside, near the street valve."),
    Symptom.PIPE_DAMAGE: ("Builders hit a gas pipe while digging.", "Exposed pipe damaged by a vehicle."),
    Symptom.FIRE: ("Flames at the meter box.",),
    Symptom.EXPLOSION: ("Loud bang, windows broken, smell of gas.",),
    Symptom.NO_GAS: ("No gas to the cooker or the water heater.", "Gas supply stopped this morning.",
                     "No gas since the neighbours' works."),
    Symptom.ABNORMAL_FLAME: ("Yellow flame on the cooker.", "Flame lifts off the burner.",
                             "Water heater flame goes out."),
    Symptom.METER_FAULT: ("Meter display is blank.", "Meter runs with all appliances off.",
                          "Meter reading looks far too high."),
    Symptom.VALVE_DAMAGE: ("Main valve handle broken.", "Valve will not close completely."),
    Symptom.APPLIANCE_FAULT: ("Water heater will not light.", "Cooker igniter not working.",
                              "Boiler shows an error code."),
    Symptom.INSTALLATION: ("New connection for a renovated house.", "Install a gas cooker point."),
    Symptom.MODIFICATION: ("Move the meter for a kitchen remodel.", "Extend the pipe to a new water heater."),
    Symptom.CONSULTATION: ("Question about the safety of an old water heater.", "Asks how to read the meter."),
    Symptom.MAINTENANCE: ("Annual check of the installation.", "Service the water heater before winter."),
    Symptom.OTHER: ("Customer unsure what the problem is.", "Strange noise from the pipes."),
}

#: (cause, measures, parts) per kind of job; parts meet the national standard (R8.4).
REPAIRS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "leak": (
        ("Loose threaded joint at the meter inlet.", "Isolated supply, remade joint with approved sealant, "
         "pressure-tested, leak test with detector.", ("Joint sealant",)),
        ("Corroded section of internal pipe.", "Isolated supply, replaced 1.5 m of pipe, pressure-tested.",
         ("Copper pipe 15 mm", "Press fittings")),
        ("Worn flexible hose on the cooker.", "Replaced hose, checked connections with detector.",
         ("Flexible gas hose 1 m",)),
        ("Faulty regulator diaphragm.", "Replaced regulator, set outlet pressure, leak test.",
         ("Pressure regulator",)),
        ("Smell came from a neighbour's open burner; no leak found.", "Measured all points, explained findings.",
         ()),
    ),
    "pipework": (
        ("Blocked service pipe filter.", "Cleaned filter, purged line, restored supply.", ("Filter gasket",)),
        ("Regulator locked out after pressure drop.", "Reset regulator, checked appliances, restored supply.",
         ()),
        ("Valve spindle seized.", "Replaced valve, leak test.", ("Ball valve 1/2\"",)),
        ("Supply interrupted by third-party works.", "Reconnected service, purged, restored supply.", ()),
    ),
    "appliance": (
        ("Dirty burner jets.", "Cleaned jets and burner heads, adjusted air intake.", ()),
        ("Faulty thermocouple.", "Replaced thermocouple, tested flame supervision.", ("Thermocouple",)),
        ("Failed igniter.", "Replaced igniter, tested.", ("Igniter electrode",)),
        ("Flue partially blocked.", "Cleared flue, checked draught, advised annual service.", ()),
    ),
    "meter": (
        ("Meter register stuck.", "Replaced meter, sealed, recorded readings.", ("Diaphragm gas meter G4",)),
        ("Meter display battery flat.", "Replaced battery, verified reading.", ("Meter battery",)),
        ("No fault found; consumption matches appliances.", "Tested meter with all appliances off, explained bill.",
         ()),
    ),
    "installation": (
        ("Requested new gas point.", "Installed and tested new point, labelled valve.",
         ("Copper pipe 15 mm", "Ball valve 1/2\"")),
        ("Requested meter relocation.", "Relocated meter, pressure-tested, restored supply.",
         ("Meter bracket", "Press fittings")),
        ("Installation check requested.", "Inspected installation, tested for leaks, issued certificate.", ()),
        ("Advice requested.", "Explained safe use of appliances and the emergency number.", ()),
    ),
}

CONFIRMATIONS = ("Signed by {name} on the crew tablet.", "Confirmed verbally by {name}; signature on paper form.")

CALLBACK_SUGGESTIONS = (
    "Call before arriving.",
    "Arrived later than promised.",
    "Very friendly crew.",
    "Please explain the bill better.",
    "Would like a reminder for the annual check.",
)

COMPLAINTS = (
    "The crew arrived much later than the time given.",
    "The fault came back the day after the repair.",
    "The crew left the kitchen dirty.",
    "Charged for a part without explanation.",
    "Nobody called back as promised.",
)

RESOLUTIONS = (
    "Supervisor apologised; crew reminded of the arrival procedure.",
    "Second visit made; fault fixed; customer satisfied.",
    "Charge explained and itemised; customer accepted.",
    "Goodwill credit on the next bill.",
)
