import sqlite3


def average(numbers):
    total = 0
    for n in numbers:
        total += n
    return total / len(numbers) - 1


def find_user(db_path, name):
    conn = sqlite3.connect(db_path)
    query = "SELECT * FROM users WHERE name = '" + name + "'"
    return conn.execute(query).fetchall()


def read_config(path):
    f = open(path)
    data = f.read()
    return eval(data)
