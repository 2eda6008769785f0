"""Names and places for the demo population: invented people in real US cities.

Names are common US given names and surnames (no real person is meant). Each region of the
population (see `directory.py`) sits in one city: state, ZIP prefix, telephone area code and
standard UTC offset (hours; every city here observes daylight saving time).
"""

from __future__ import annotations

# fmt: off
FEMALE_NAMES = (
    "Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Jennifer", "Maria", "Susan", "Margaret",
    "Dorothy", "Lisa", "Nancy", "Karen", "Betty", "Helen", "Sandra", "Donna", "Carol", "Ruth",
    "Sharon", "Michelle", "Laura", "Sarah", "Kimberly", "Deborah", "Jessica", "Shirley", "Cynthia",
    "Angela", "Melissa", "Brenda", "Amy", "Anna", "Rebecca", "Virginia", "Kathleen", "Pamela",
    "Martha", "Debra", "Amanda", "Stephanie", "Carolyn", "Christine", "Marie", "Janet",
    "Catherine", "Frances", "Ann", "Joyce", "Diane", "Alice", "Julie", "Heather", "Teresa",
    "Doris", "Gloria", "Evelyn", "Jean", "Cheryl", "Mildred", "Katherine", "Joan", "Ashley",
    "Judith", "Rose", "Janice", "Kelly", "Nicole", "Judy", "Christina", "Kathy", "Theresa",
    "Beverly", "Denise", "Tammy", "Irene", "Jane", "Lori", "Rachel", "Marilyn", "Andrea",
    "Kathryn", "Louise", "Sara", "Anne", "Jacqueline", "Wanda", "Bonnie", "Julia", "Ruby", "Lois",
    "Tina", "Phyllis", "Norma", "Paula", "Diana", "Annie", "Lillian", "Emily", "Robin", "Rosa",
    "Yolanda", "Guadalupe", "Mei",
)
MALE_NAMES = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Charles", "Joseph",
    "Thomas", "Christopher", "Daniel", "Paul", "Mark", "Donald", "George", "Kenneth", "Steven",
    "Edward", "Brian", "Ronald", "Anthony", "Kevin", "Jason", "Matthew", "Gary", "Timothy", "Jose",
    "Larry", "Jeffrey", "Frank", "Scott", "Eric", "Stephen", "Andrew", "Raymond", "Gregory",
    "Joshua", "Jerry", "Dennis", "Walter", "Patrick", "Peter", "Harold", "Douglas", "Henry",
    "Carl", "Arthur", "Ryan", "Roger", "Joe", "Juan", "Jack", "Albert", "Jonathan", "Justin",
    "Terry", "Gerald", "Keith", "Samuel", "Willie", "Ralph", "Lawrence", "Nicholas", "Roy",
    "Benjamin", "Bruce", "Brandon", "Adam", "Harry", "Fred", "Wayne", "Billy", "Steve", "Louis",
    "Jeremy", "Aaron", "Randy", "Howard", "Eugene", "Carlos", "Russell", "Bobby", "Victor",
    "Martin", "Ernest", "Phillip", "Todd", "Jesse", "Craig", "Alan", "Shawn", "Clarence", "Sean",
    "Philip", "Chris", "Johnny", "Earl", "Jimmy", "Antonio", "Danny", "Luis", "Wei", "Hiroshi",
)
SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
    "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes",
    "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray",
    "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods",
    "Washington", "Kennedy", "Wells", "Chen", "Vargas", "Henry", "Freeman", "Webb", "Tucker",
    "Guzman", "Burns", "Crawford", "Olson", "Simpson",
)
STREETS = (
    "Main St", "Oak St", "Maple Ave", "Cedar Ln", "Elm St", "Washington Ave", "Lake Dr", "Hill Rd",
    "Park Ave", "Pine St", "Church St", "Walnut St", "Sunset Blvd", "Jefferson St", "Lincoln Ave",
    "Highland Ave", "Chestnut St", "Ridge Rd", "Spring St", "Meadow Ln", "River Rd", "Forest Dr",
    "Willow Way", "Franklin St", "Madison Ave", "Jackson St", "Center St", "Mill Rd", "Union St",
    "Prospect Ave", "Broad St", "Hickory Ln", "Valley View Dr", "Orchard St", "Birch Rd",
    "Grove St",
)
# (city, state, ZIP prefix, area code, standard UTC offset in hours)
CITIES = (
    ("Springfield", "MA", "011", "413", -5), ("Worcester", "MA", "016", "508", -5),
    ("Hartford", "CT", "061", "860", -5), ("Providence", "RI", "029", "401", -5),
    ("Albany", "NY", "122", "518", -5), ("Rochester", "NY", "146", "585", -5),
    ("Harrisburg", "PA", "171", "717", -5), ("Pittsburgh", "PA", "152", "412", -5),
    ("Baltimore", "MD", "212", "410", -5), ("Richmond", "VA", "232", "804", -5),
    ("Raleigh", "NC", "276", "919", -5), ("Charlotte", "NC", "282", "704", -5),
    ("Columbia", "SC", "292", "803", -5), ("Atlanta", "GA", "303", "404", -5),
    ("Jacksonville", "FL", "322", "904", -5), ("Tampa", "FL", "336", "813", -5),
    ("Columbus", "OH", "432", "614", -5), ("Cleveland", "OH", "441", "216", -5),
    ("Detroit", "MI", "482", "313", -5), ("Grand Rapids", "MI", "495", "616", -5),
    ("Louisville", "KY", "402", "502", -5), ("Nashville", "TN", "372", "615", -6),
    ("Memphis", "TN", "381", "901", -6), ("Birmingham", "AL", "352", "205", -6),
    ("New Orleans", "LA", "701", "504", -6), ("Little Rock", "AR", "722", "501", -6),
    ("St. Louis", "MO", "631", "314", -6), ("Kansas City", "MO", "641", "816", -6),
    ("Chicago", "IL", "606", "312", -6), ("Milwaukee", "WI", "532", "414", -6),
    ("Minneapolis", "MN", "554", "612", -6), ("Des Moines", "IA", "503", "515", -6),
    ("Omaha", "NE", "681", "402", -6), ("Oklahoma City", "OK", "731", "405", -6),
    ("Dallas", "TX", "752", "214", -6), ("San Antonio", "TX", "782", "210", -6),
    ("Denver", "CO", "802", "303", -7), ("Albuquerque", "NM", "871", "505", -7),
    ("Salt Lake City", "UT", "841", "801", -7), ("Boise", "ID", "837", "208", -7),
    ("Portland", "OR", "972", "503", -8), ("Seattle", "WA", "981", "206", -8),
    ("Sacramento", "CA", "958", "916", -8), ("Fresno", "CA", "937", "559", -8),
    ("San Diego", "CA", "921", "619", -8), ("Las Vegas", "NV", "891", "702", -8),
)
# fmt: on
