package seed

import "fmt"

// historyNames are first and last names by country, ASCII so they make email addresses as they are.
var historyNames = map[string][2][]string{
	"US": {{"James", "Mary", "Michael", "Patricia", "Robert", "Jennifer", "David", "Linda", "William", "Elizabeth",
		"Daniel", "Jessica", "Matthew", "Sarah", "Anthony", "Karen", "Joshua", "Emily", "Andrew", "Ashley", "Tyler",
		"Hannah", "Kevin", "Olivia", "Brian", "Megan", "Jason", "Rachel", "Marcus", "Ava"},
		{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
			"Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
			"Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright"}},
	"GB": {{"Oliver", "Amelia", "George", "Isla", "Harry", "Poppy", "Jack", "Freya", "Charlie", "Florence",
		"Thomas", "Grace", "Alfie", "Imogen", "Oscar", "Evie", "Archie", "Matilda", "Henry", "Rosie"},
		{"Smith", "Jones", "Taylor", "Brown", "Evans", "Walker", "Wright", "Robinson", "Thompson", "Hughes",
			"Edwards", "Green", "Hall", "Wood", "Harris", "Clarke", "Patel", "Turner", "Cooper", "Ward"}},
	"FR": {{"Gabriel", "Louise", "Raphael", "Jade", "Louis", "Ambre", "Arthur", "Alice", "Jules", "Chloe",
		"Adam", "Lina", "Hugo", "Rose", "Lucas", "Anna", "Nathan", "Manon", "Theo", "Camille"},
		{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
			"Simon", "Laurent", "Lefebvre", "Michel", "Garnier", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert"}},
	"DE": {{"Noah", "Emilia", "Ben", "Hannah", "Paul", "Emma", "Leon", "Sophia", "Finn", "Mia", "Elias", "Lina",
		"Felix", "Lea", "Jonas", "Clara", "Lukas", "Marie", "Max", "Johanna"},
		{"Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
			"Koch", "Richter", "Klein", "Wolf", "Schroeder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krueger"}},
	"IN": {{"Aarav", "Ananya", "Vivaan", "Diya", "Aditya", "Saanvi", "Arjun", "Aadhya", "Rohan", "Isha", "Vihaan",
		"Kavya", "Krishna", "Priya", "Ishaan", "Meera", "Rahul", "Pooja", "Siddharth", "Neha"},
		{"Sharma", "Verma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Iyer", "Nair", "Menon", "Rao", "Joshi",
			"Mehta", "Desai", "Kulkarni", "Chopra", "Malhotra", "Bhat", "Pillai", "Agarwal"}},
}

// name returns a first and last name common in country (an American one for a country without a list).
func (h *history) name(country string) (string, string) {
	names, ok := historyNames[country]
	if !ok {
		names = historyNames["US"]
	}
	return names[0][h.rng.IntN(len(names[0]))], names[1][h.rng.IntN(len(names[1]))]
}

// phone returns a mobile number in country, in E.164.
func (h *history) phone(country string) string {
	switch country {
	case "GB":
		return fmt.Sprintf("+447%09d", h.rng.IntN(1e9))
	case "FR":
		return fmt.Sprintf("+33%d%08d", 6+h.rng.IntN(2), h.rng.IntN(1e8))
	case "DE":
		return fmt.Sprintf("+491%d%08d", 5+h.rng.IntN(3), h.rng.IntN(1e8))
	case "IN":
		return fmt.Sprintf("+91%d%09d", 6+h.rng.IntN(4), h.rng.IntN(1e9))
	}
	areas := []int{212, 347, 646, 718, 917, 617, 857, 312, 773, 872}
	return fmt.Sprintf("+1%d%d%06d", areas[h.rng.IntN(len(areas))], 2+h.rng.IntN(8), h.rng.IntN(1e6))
}
