from ideas import create_app

app = create_app()
