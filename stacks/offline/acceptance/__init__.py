"""AWS and Kubernetes acceptance: would AWS and the API server accept what a plan creates?"""
